package limits

// Container images. A layer is read as a stream, never held in memory; only
// the files catalogers read are kept, each bounded by ImageFileBytes.
const (
	// ImageLayerBytes bounds one layer's uncompressed size.
	ImageLayerBytes = 64 << 30
	// ImageLayerRatio bounds a layer's decompression ratio once it has
	// grown past ImageLayerRatioFloor: a gzip bomb is refused early.
	ImageLayerRatio      = 200
	ImageLayerRatioFloor = 256 << 20
	// ImageFileBytes bounds one file kept for cataloging (a binary, a jar, a
	// package database).
	ImageFileBytes = 256 << 20
	// ImageArchiveMembers bounds the entries of an oci-archive tar.
	ImageArchiveMembers = 1 << 20
	// ImageIndexDepth bounds nested image indexes.
	ImageIndexDepth = 4
)
