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

// hasSignature reports whether the file ends in the signature trailer.
func hasSignature(file []byte) bool { return bytes.HasSuffix(file, []byte(SignatureMagic)) }

// SplitSignature splits a module file into its ELF image and its appended
// signature (signature data, struct module_signature and trailer). An
// unsigned file gives (file, nil, nil); a trailer whose lengths do not fit
// the file is an error.
func SplitSignature(file []byte) (elfImage, signature []byte, err error) {
	if !hasSignature(file) {
		return file, nil, nil
	}
	n := len(file) - len(SignatureMagic)
	if n < sigInfoSize {
		return nil, nil, errors.New("malformed module signature: file too short for struct module_signature")
	}
	info := file[n-sigInfoSize : n]
	sigLen := uint64(binary.BigEndian.Uint32(info[8:])) + uint64(info[3]) + uint64(info[4])
	if sigLen > uint64(n-sigInfoSize) {
		return nil, nil, fmt.Errorf("malformed module signature: %d signature bytes in a %d byte file", sigLen, len(file))
	}
	start := n - sigInfoSize - int(sigLen)
	return file[:start], file[start:], nil
}
