package oauth4os_test

import (
	"context"
	"strings"
	"testing"

	oauth4os "example.invalid/oauth4os/sdks/go"
	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// opensearch-go v4 authenticating through the proxy with Client.Transport (as in README.md).
func TestOpenSearchGoThroughTheProxy(t *testing.T) {
	seed(t)
	ctx := context.Background()
	c, err := oauth4os.NewClient(oauth4os.ClientConfig{Issuer: proxyURL(t), ClientID: "go-agent", ClientSecret: secret(t),
		Scope: "read:go-logs-* write:go-logs-*"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{
		Addresses: []string{proxyURL(t)},
		Transport: c.Transport(nil),
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{index},
		Body: strings.NewReader(`{"query":{"match":{"level":"error"}}}`)})
	if err != nil || res.Hits.Total.Value != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	idx, err := client.Index(ctx, opensearchapi.IndexReq{Index: index, DocumentID: "go-new", Body: strings.NewReader(`{"level":"warn"}`),
		Params: opensearchapi.IndexParams{Refresh: "true"}})
	if err != nil || idx.Result != "created" && idx.Result != "updated" {
		t.Fatalf("%+v %v", idx, err)
	}
	if _, err := client.Document.Delete(ctx, opensearchapi.DocumentDeleteReq{Index: index, DocumentID: "go-new",
		Params: opensearchapi.DocumentDeleteParams{Refresh: "true"}}); err != nil {
		t.Fatal(err)
	}
	// An index the token's scopes do not cover: the proxy's 403 reaches opensearch-go as an error.
	_, err = client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{secretIndex}})
	if err == nil || !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "insufficient_scope") {
		t.Fatalf("secret index: %v", err)
	}
	if c.Stats().TokenRequests != 1 {
		t.Fatalf("%d token requests", c.Stats().TokenRequests)
	}
}
