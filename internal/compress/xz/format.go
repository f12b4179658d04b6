package xz

import (
	"encoding/binary"
	"hash/crc32"
)

// The .xz container (the xz file format specification, version 1.2).
const (
	checkCRC32      = 0x01
	checkSize       = 4
	blockHeaderSize = 12
	filterLZMA2     = 0x21
)

var (
	headerMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	footerMagic = []byte{'Y', 'Z'}
)

// streamHeader is the magic, the stream flags (CRC32 check) and their
// CRC32.
func streamHeader() []byte {
	b := append([]byte(nil), headerMagic...)
	flags := []byte{0, checkCRC32}
	b = append(b, flags...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(flags))
}

// blockHeader has no sizes (they are in the index) and one filter, LZMA2
// with the dictionary property byte.
func blockHeader(dictID byte) []byte {
	b := []byte{blockHeaderSize/4 - 1, 0, filterLZMA2, 1, dictID, 0, 0, 0}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// indexBytes lists each block's unpadded and uncompressed size.
func indexBytes(records [][2]int64) []byte {
	b := binary.AppendUvarint([]byte{0}, uint64(len(records)))
	for _, r := range records {
		b = binary.AppendUvarint(b, uint64(r[0]))
		b = binary.AppendUvarint(b, uint64(r[1]))
	}
	b = append(b, make([]byte, pad4(int64(len(b))))...)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// streamFooter points back at the index and repeats the stream flags.
func streamFooter(indexSize int) []byte {
	body := binary.LittleEndian.AppendUint32(nil, uint32(indexSize/4-1))
	body = append(body, 0, checkCRC32)
	b := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(body))
	b = append(b, body...)
	return append(b, footerMagic...)
}

// pad4 is the number of zero bytes that bring n to a multiple of four.
func pad4(n int64) int64 { return -n & 3 }
