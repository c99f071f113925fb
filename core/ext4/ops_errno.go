package ext4

// Errno is an error named after the errno the kernel would return for the
// same failure (include/uapi/asm-generic/errno-base.h). The write-side
// operations return errors that wrap one of these, so callers test them
// with errors.Is(err, ext4.ENOSPC).
type Errno uint8

// The errno values the filesystem operations return.
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	EIO          Errno = 5
	EEXIST       Errno = 17
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	EMLINK       Errno = 31
	ENAMETOOLONG Errno = 36
	ENOTEMPTY    Errno = 39
	EOPNOTSUPP   Errno = 95
	EUCLEAN      Errno = 117
)

var errnoTable = map[Errno][2]string{
	EPERM:        {"EPERM", "operation not permitted"},
	ENOENT:       {"ENOENT", "no such file or directory"},
	EIO:          {"EIO", "input/output error"},
	EEXIST:       {"EEXIST", "file exists"},
	ENOTDIR:      {"ENOTDIR", "not a directory"},
	EISDIR:       {"EISDIR", "is a directory"},
	EINVAL:       {"EINVAL", "invalid argument"},
	EFBIG:        {"EFBIG", "file too large"},
	ENOSPC:       {"ENOSPC", "no space left on device"},
	EMLINK:       {"EMLINK", "too many links"},
	ENAMETOOLONG: {"ENAMETOOLONG", "file name too long"},
	ENOTEMPTY:    {"ENOTEMPTY", "directory not empty"},
	EOPNOTSUPP:   {"EOPNOTSUPP", "operation not supported"},
	EUCLEAN:      {"EUCLEAN", "structure needs cleaning"},
}

// Name is the errno's symbolic name, e.g. "ENOSPC".
func (e Errno) Name() string {
	if t, ok := errnoTable[e]; ok {
		return t[0]
	}
	return "errno"
}

func (e Errno) Error() string {
	if t, ok := errnoTable[e]; ok {
		return t[0] + ": " + t[1]
	}
	return "unknown errno"
}
