package expr

// grown returns s extended to length n (n <= len(s): s itself) with the new elements zero. When
// it must reallocate it at least doubles the capacity: a state grown batch by batch to millions
// of groups then allocates about twice its final size in all — append's growth of a quarter for
// large slices allocates about five times that, every byte of it fresh memory to fault in.
func grown[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	out := make([]T, n, max(n, 2*cap(s)))
	copy(out, s)
	return out
}
