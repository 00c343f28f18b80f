// Package checksummed frames a file's content so that any corruption is found
// on reading: an 8-byte magic naming the format, a version, the content's
// length and a CRC-32C (Castagnoli) over version, length and content.
//
//	offset  size  field
//	0       8     magic
//	8       4     version, little-endian uint32
//	12      8     content length, little-endian uint64
//	20      4     CRC-32C of bytes 8–19 and of the content
//	24      n     content
//
// CRC-32C detects every burst error up to 32 bits and every error of up to
// 5 bits in files of this size; it guards against damage, not against an
// adversary.
package checksummed
