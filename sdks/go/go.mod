module example.invalid/oauth4os/sdks/go

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/opensearch-project/opensearch-go/v4 v4.8.1
	golang.org/x/oauth2 v0.38.0
)

require golang.org/x/sync v0.23.0 // indirect
