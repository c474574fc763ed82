package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// SignatureMagic ends a module file that carries an appended signature
// (scripts/sign-file). Before it: the signature data, then a 12-byte struct
// module_signature {algo, hash, id_type, signer_len, key_id_len u8; pad [3]u8;
// sig_len be32}.
const SignatureMagic = "~Module signature appended~\n"

const sigInfoSize = 12

// ErrSigned refuses a signed module: adding symbols would invalidate the
// signature, so aliases are added before signing.
var ErrSigned = errors.New("module has an appended signature; add aliases before signing the module")

// tailSize is what signatureStart needs of the end of a file.
const tailSize = sigInfoSize + len(SignatureMagic)

// signatureStart returns where the appended signature of a file of size
// bytes starts (size if it has none), from the file's last bytes (tail,
// up to tailSize of them); a trailer whose lengths do not fit the file is
// an error.
func signatureStart(size int, tail []byte) (int, error) {
	if !bytes.HasSuffix(tail, []byte(SignatureMagic)) {
		return size, nil
	}
	if len(tail) < tailSize {
		return 0, errors.New("malformed module signature: file too short for struct module_signature")
	}
	info := tail[len(tail)-tailSize : len(tail)-len(SignatureMagic)]
	sigLen := uint64(binary.BigEndian.Uint32(info[8:])) + uint64(info[3]) + uint64(info[4])
	if sigLen > uint64(size-tailSize) {
		return 0, fmt.Errorf("malformed module signature: %d signature bytes in a %d byte file", sigLen, size)
	}
	return size - tailSize - int(sigLen), nil
}

// SplitSignature splits a module file into its ELF image and its appended
// signature (signature data, struct module_signature and trailer). An
// unsigned file gives (file, nil, nil).
func SplitSignature(file []byte) (elfImage, signature []byte, err error) {
	start, err := signatureStart(len(file), file[len(file)-min(len(file), tailSize):])
	if err != nil {
		return nil, nil, err
	}
	if start == len(file) {
		return file, nil, nil
	}
	return file[:start], file[start:], nil
}
