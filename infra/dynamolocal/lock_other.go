//go:build !unix

package dynamolocal

import "context"

// lockFile does nothing where flock is missing: Fetch's rename then decides which fetch wins.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
