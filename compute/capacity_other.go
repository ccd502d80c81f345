//go:build !unix

package compute

func fsSize(string) (int64, bool) { return 0, false }
