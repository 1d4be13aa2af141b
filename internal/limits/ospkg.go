package limits

// OS package databases.
const (
	// DpkgLineBytes bounds one line of a dpkg status file.
	DpkgLineBytes = 1 << 20
	// DpkgFieldBytes bounds what is kept of one multi-line field.
	DpkgFieldBytes = 64 << 10
	// DpkgPackages bounds the paragraphs of one status file.
	DpkgPackages = 200_000
)

// ApkFilesPerPackage bounds the owned files kept per apk package.
const ApkFilesPerPackage = 100_000

// RPMDBBytes bounds an rpm database read.
const RPMDBBytes = 512 << 20
