// Package gitobject computes git object ids, so that a file's content can be
// compared with a tree entry's blob SHA without fetching the blob.
package gitobject

import (
	"crypto/sha1" //nolint:gosec // git's object ids are SHA-1 by definition
	"encoding/hex"
	"strconv"
)

// Hash is the id git gives an object of type typ ("blob", "tree", "commit",
// "tag") holding data: the SHA-1 of "<type> <size>\x00<data>", in hex.
func Hash(typ string, data []byte) string {
	h := sha1.New()
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// BlobSHA is the id of a blob holding data, as `git hash-object` prints it
// and as the tree of a GitHub repository lists it.
func BlobSHA(data []byte) string { return Hash("blob", data) }
