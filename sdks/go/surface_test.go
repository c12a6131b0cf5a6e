package oauth4os_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The package exports exactly the surface in core/facade/surface.json, by the manifest's Go
// naming rule (see core/src/facade/surface.rs), read from the source with go/ast: a missing,
// extra, renamed or re-typed function or method of the root package, package scopes, Client or
// Verifier fails, and so does a record without a field of the manifest.

// idiom is what the package adds for Go, beyond the manifest.
var idiom = map[string]bool{
	"Client.Close() error":                                       true,
	"Client.TokenSource() oauth2.TokenSource":                    true,
	"Client.Transport(base http.RoundTripper) http.RoundTripper": true,
	"Verifier.Close() error":                                     true,
	"scopes.Parse(scopes string) ([]string, error)":              true,
}

var initialisms = map[string]string{"id": "ID", "json": "JSON", "jwks": "JWKS", "jti": "JTI", "url": "URL", "uri": "URI"}

func goName(snake string, exported bool) string {
	var b strings.Builder
	for i, part := range strings.Split(snake, "_") {
		switch up, ok := initialisms[part]; {
		case i == 0 && !exported:
			b.WriteString(part)
		case ok:
			b.WriteString(up)
		default:
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

type mParam struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Optional bool   `json:"optional"`
}

type mFunc struct {
	Name    string   `json:"name"`
	Mode    string   `json:"mode"`
	Params  []mParam `json:"params"`
	Returns string   `json:"returns"`
	Errors  []string `json:"errors"`
}

type manifest struct {
	Naming []struct {
		Language string `json:"language"`
		Rule     string `json:"rule"`
	} `json:"naming"`
	Errors struct {
		Record struct {
			Fields []string `json:"fields"`
		} `json:"record"`
	} `json:"errors"`
	Functions  []mFunc `json:"functions"`
	Namespaces []struct {
		Name      string  `json:"name"`
		Functions []mFunc `json:"functions"`
	} `json:"namespaces"`
	Classes []struct {
		Name         string  `json:"name"`
		Constructors []mFunc `json:"constructors"`
		Methods      []mFunc `json:"methods"`
	} `json:"classes"`
	Records []struct {
		Name   string   `json:"name"`
		Fields []string `json:"fields"`
	} `json:"records"`
}

func goType(t string) string {
	switch {
	case t == "string", t == "bool":
		return t
	case t == "int":
		return "int64"
	case t == "bytes":
		return "[]byte"
	case t == "json":
		return "json.RawMessage"
	case strings.HasPrefix(t, "list<"):
		return "[]" + goType(strings.TrimSuffix(strings.TrimPrefix(t, "list<"), ">"))
	}
	return "*" + t // a record or a handle
}

func results(f mFunc) string {
	var out []string
	switch r := f.Returns; {
	case r == "unit":
	case strings.HasSuffix(r, "?"):
		out = append(out, goType(strings.TrimSuffix(r, "?")), "bool")
	default:
		out = append(out, goType(r))
	}
	if len(f.Errors) > 0 {
		out = append(out, "error")
	}
	switch len(out) {
	case 0:
		return ""
	case 1:
		return " " + out[0]
	}
	return " (" + strings.Join(out, ", ") + ")"
}

// expected adds the Go signatures of one manifest entry: prefix is "", "scopes." or "Client.".
func expected(out map[string]bool, prefix, name, class string, f mFunc) {
	var params []string
	if f.Mode == "async" {
		params = append(params, "ctx context.Context")
	}
	var twin *mParam
	withNow := false
	for _, p := range f.Params {
		switch {
		case p.Name == "now" && p.Optional:
			withNow = true
		case p.Name == "config_json" && class != "":
			params = append(params, "config "+class+"Config")
		case p.Optional && len(f.Params) == 1:
			twin = &p
		default:
			params = append(params, goName(p.Name, false)+" "+goType(p.Type))
		}
	}
	sig := func(n string, ps []string) string {
		return prefix + n + "(" + strings.Join(ps, ", ") + ")" + results(f)
	}
	out[sig(name, params)] = true
	if withNow {
		out[sig(name+"At", append(append([]string{}, params...), "now time.Time"))] = true
	}
	if twin != nil {
		out[sig(name+goName(twin.Name, true), append(append([]string{}, params...), goName(twin.Name, false)+" "+goType(twin.Type)))] = true
	}
}

func expectedSurface(m manifest) map[string]bool {
	out := map[string]bool{}
	for _, f := range m.Functions {
		expected(out, "", goName(f.Name, true), "", f)
	}
	for _, ns := range m.Namespaces {
		for _, f := range ns.Functions {
			expected(out, ns.Name+".", goName(f.Name, true), "", f)
		}
	}
	for _, c := range m.Classes {
		for _, f := range c.Constructors {
			name := "New" + c.Name
			if f.Name != "new" {
				name += goName(f.Name, true)
			}
			expected(out, "", name, c.Name, f)
		}
		for _, f := range c.Methods {
			expected(out, c.Name+".", goName(f.Name, true), "", f)
		}
	}
	return out
}

func render(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, fset, n)
	return b.String()
}

func fields(fset *token.FileSet, fl *ast.FieldList) []string {
	var out []string
	if fl == nil {
		return out
	}
	for _, f := range fl.List {
		t := render(fset, f.Type)
		if len(f.Names) == 0 {
			out = append(out, t)
		}
		for _, n := range f.Names {
			out = append(out, n.Name+" "+t)
		}
	}
	return out
}

// exported reads the exported functions (and methods of Client and Verifier) of the package in
// dir, and the exported structs.
func exported(t *testing.T, dir, prefix string, structs map[string]*ast.StructType) map[string]bool {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	out := map[string]bool{}
	for _, file := range files {
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				recv := ""
				if d.Recv != nil {
					recv = strings.TrimPrefix(render(fset, d.Recv.List[0].Type), "*")
					if recv != "Client" && recv != "Verifier" {
						continue // records' idiom (String, Allowed, ...)
					}
					recv += "."
				}
				res := fields(fset, d.Type.Results)
				r := ""
				switch len(res) {
				case 0:
				case 1:
					r = " " + res[0]
				default:
					r = " (" + strings.Join(res, ", ") + ")"
				}
				out[prefix+recv+d.Name.Name+"("+strings.Join(fields(fset, d.Type.Params), ", ")+")"+r] = true
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && structs != nil {
						if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.IsExported() {
							structs[ts.Name.Name] = st
						}
					}
				}
			}
		}
	}
	return out
}

func TestTheExportsAreTheManifestsSurface(t *testing.T) {
	var m manifest
	if err := json.Unmarshal(readFile(t, "core/facade/surface.json"), &m); err != nil {
		t.Fatal(err)
	}
	hasRule := false
	for _, n := range m.Naming {
		hasRule = hasRule || n.Language == "go"
	}
	if !hasRule {
		t.Error("the manifest has no naming rule for go")
	}
	want := expectedSurface(m)
	structs := map[string]*ast.StructType{}
	got := exported(t, filepath.Join(root(), "sdks/go"), "", structs)
	for k := range exported(t, filepath.Join(root(), "sdks/go/scopes"), "scopes.", nil) {
		got[k] = true
	}
	var missing, extra []string
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] && !idiom[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("the Go surface differs from the manifest\nmissing:\n  %s\nextra:\n  %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
	}
	if len(want) < 30 {
		t.Fatalf("only %d entries", len(want))
	}

	// Records: a struct of the same name with every field of the manifest (JSON names, or the
	// PascalCase field for Error and Response, which do not cross as JSON here).
	fieldsOf := func(st *ast.StructType) map[string]bool {
		out := map[string]bool{}
		for _, f := range st.Fields.List {
			for _, n := range f.Names {
				out[n.Name] = true
				if f.Tag != nil {
					tag := reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json")
					out["json:"+strings.Split(tag, ",")[0]] = true
				}
			}
		}
		return out
	}
	records := append(m.Records, struct {
		Name   string   `json:"name"`
		Fields []string `json:"fields"`
	}{"Error", m.Errors.Record.Fields})
	for _, r := range records {
		st, ok := structs[r.Name]
		if !ok {
			t.Errorf("no struct %s", r.Name)
			continue
		}
		have := fieldsOf(st)
		for _, f := range r.Fields {
			f = strings.TrimSuffix(f, "?")
			switch {
			case r.Name == "Response" && f == "headers":
				f = "Header"
			case r.Name == "Error" || r.Name == "Response":
				f = goName(f, true)
			default:
				f = "json:" + f
			}
			if !have[f] {
				t.Errorf("%s has no field %s", r.Name, f)
			}
		}
	}
}
