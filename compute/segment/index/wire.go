package index

import "google.golang.org/protobuf/encoding/protowire"

// maxRows bounds every row count and offset a decoder accepts (2^48), so that arithmetic on
// them cannot overflow.
const maxRows = 1 << 48

func appendUintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendPacked(b []byte, num protowire.Number, vs []int64) []byte {
	if len(vs) == 0 {
		return b
	}
	var body []byte
	for _, v := range vs {
		body = protowire.AppendVarint(body, uint64(v))
	}
	return appendBytesField(b, num, body)
}

// Fields calls fn for every field of a protobuf message: v for varints, b for length-delimited
// fields. Other wire types are skipped. The segment footer and every index block decode with it.
func Fields(msg []byte, fn func(num protowire.Number, v uint64, b []byte, isBytes bool) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return corrupt("bad protobuf tag: %v", protowire.ParseError(n))
		}
		msg = msg[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return corrupt("bad protobuf varint: %v", protowire.ParseError(n))
			}
			msg = msg[n:]
			if err := fn(num, v, nil, false); err != nil {
				return err
			}
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return corrupt("bad protobuf bytes field: %v", protowire.ParseError(n))
			}
			msg = msg[n:]
			if err := fn(num, 0, v, true); err != nil {
				return err
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, msg)
			if n < 0 {
				return corrupt("bad protobuf field %d: %v", num, protowire.ParseError(n))
			}
			msg = msg[n:]
		}
	}
	return nil
}

// unpackVarints decodes a packed repeated varint field.
func unpackVarints(b []byte, dst []int64) ([]int64, error) {
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 || v > maxRows {
			return nil, corrupt("bad packed varint")
		}
		dst = append(dst, int64(v))
		b = b[n:]
	}
	return dst, nil
}
