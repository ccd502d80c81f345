package vector

import "math/bits"

// Bitmap is a bit set over rows; bit i is row i. A nil Bitmap is empty.
type Bitmap []uint64

// NewBitmap returns an all-clear bitmap able to hold n bits.
func NewBitmap(n int) Bitmap { return make(Bitmap, (n+63)/64) }

// Get reports bit i; bits beyond the bitmap are clear.
func (b Bitmap) Get(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

// Set sets bit i, which must be within the bitmap.
func (b Bitmap) Set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// Clear clears bit i, which must be within the bitmap.
func (b Bitmap) Clear(i int) { b[i>>6] &^= 1 << (uint(i) & 63) }

// Count returns the number of set bits among the first n.
func (b Bitmap) Count(n int) int {
	c := 0
	full := n >> 6
	for w := 0; w < full && w < len(b); w++ {
		c += bits.OnesCount64(b[w])
	}
	if rem := n & 63; rem != 0 && full < len(b) {
		c += bits.OnesCount64(b[full] & (1<<uint(rem) - 1))
	}
	return c
}

// Any reports whether any of the first n bits is set.
func (b Bitmap) Any(n int) bool { return b.Count(n) > 0 }

// grow returns b able to hold n bits (bits beyond the old size clear).
func (b Bitmap) grow(n int) Bitmap {
	return Grown(b, (n+63)/64)
}

// SliceBits returns bits [lo, hi) as a new bitmap starting at bit 0; nil when none is set.
func (b Bitmap) SliceBits(lo, hi int) Bitmap {
	if b == nil {
		return nil
	}
	out := NewBitmap(hi - lo)
	any := false
	if lo&63 == 0 {
		w := lo >> 6
		for i := range out {
			if w+i < len(b) {
				out[i] = b[w+i]
			}
		}
		if rem := (hi - lo) & 63; rem != 0 {
			out[len(out)-1] &= 1<<uint(rem) - 1
		}
		for _, x := range out {
			any = any || x != 0
		}
	} else {
		for i := lo; i < hi; i++ {
			if b.Get(i) {
				out.Set(i - lo)
				any = true
			}
		}
	}
	if !any {
		return nil
	}
	return out
}
