package encoding

import (
	"encoding/binary"
	"slices"
)

// MaxWidth is the widest bit-packed value (FORMAT.md): wider frames are stored plain.
const MaxWidth = 56

// PackedLen is the byte length of n values bit-packed w bits each.
func PackedLen(n, w int) int { return (n*w + 7) / 8 }

// appendPacked appends uint64(vals[i]) - uint64(base) (wrapping), w bits each, least significant
// bit first, to dst. Every difference must fit in w bits (w <= 64).
func appendPacked(dst []byte, vals []int64, base int64, w uint) []byte {
	if w == 0 || len(vals) == 0 {
		return dst
	}
	total := PackedLen(len(vals), int(w))
	start := len(dst)
	dst = slices.Grow(dst, total)[:start+total]
	out := dst[start:]
	var acc uint64
	var nb uint
	pos := 0
	for _, x := range vals {
		v := uint64(x) - uint64(base)
		acc |= v << nb
		nb += w
		if nb >= 64 {
			binary.LittleEndian.PutUint64(out[pos:], acc)
			pos += 8
			nb -= 64
			if nb > 0 {
				acc = v >> (w - nb)
			} else {
				acc = 0
			}
		}
	}
	for ; pos < total; pos++ {
		out[pos] = byte(acc)
		acc >>= 8
	}
	return dst
}

//go:generate go run gen_unpack.go

// unpack sets dst[i] = base + value i of src (wrapping), w bits each (0 <= w <= MaxWidth). src
// must hold exactly PackedLen(len(dst), w) bytes.
func unpack(dst []int64, src []byte, base int64, w uint) {
	if w == 0 {
		for i := range dst {
			dst[i] = base
		}
		return
	}
	// Whole blocks of 64 values (8*w bytes each) go to the routine for the width while 8 bytes
	// of slack follow them; the rest, value by value.
	blocks := min(len(dst)/64, max(len(src)-8, 0)/(8*int(w)))
	unpackBlocks[w](dst[:64*blocks], src, uint64(base))
	unpackSlow(dst[64*blocks:], src[8*int(w)*blocks:], base, w)
}

// unpackSlow is unpack one value at a time.
func unpackSlow(dst []int64, src []byte, base int64, w uint) {
	mask := uint64(1)<<w - 1
	ub := uint64(base)
	bit := uint(0)
	for i := range dst {
		var word uint64
		if p := int(bit >> 3); p+8 <= len(src) {
			word = binary.LittleEndian.Uint64(src[p:])
		} else {
			for k, b := range src[p:] {
				word |= uint64(b) << (8 * k)
			}
		}
		dst[i] = int64(ub + (word>>(bit&7))&mask)
		bit += w
	}
}
