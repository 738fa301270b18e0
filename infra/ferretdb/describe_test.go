package main

import (
	"encoding/binary"
	"testing"
)

// bsonDoc builds a BSON document from pre-encoded elements.
func bsonDoc(elems ...[]byte) []byte {
	var body []byte
	for _, e := range elems {
		body = append(body, e...)
	}
	doc := make([]byte, 4, 4+len(body)+1)
	doc = append(doc, body...)
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))
	return doc
}

func bsonString(name, value string) []byte {
	e := append([]byte{0x02}, name...)
	e = append(e, 0)
	n := make([]byte, 4)
	binary.LittleEndian.PutUint32(n, uint32(len(value)+1))
	e = append(e, n...)
	e = append(e, value...)
	return append(e, 0)
}

func bsonInt32(name string, v int32) []byte {
	e := append([]byte{0x10}, name...)
	e = append(e, 0)
	n := make([]byte, 4)
	binary.LittleEndian.PutUint32(n, uint32(v))
	return append(e, n...)
}

func opMsgWith(doc []byte) []byte {
	msg := make([]byte, 16+4+1)
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	msg = append(msg, doc...)
	binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
	return msg
}

func TestDescribeNamesCommandDatabaseAndCollection(t *testing.T) {
	sub := bsonDoc(bsonInt32("a", 1))
	subElem := append(append([]byte{0x03}, "filter\x00"...), sub...)
	msg := opMsgWith(bsonDoc(bsonString("update", "user_mfa"), subElem, bsonInt32("maxTimeMS", 5), bsonString("$db", "mfa_test")))

	if got := describe(msg); got != "update mfa_test.user_mfa" {
		t.Fatalf("describe = %q", got)
	}
	if !mayWrite(msg) {
		t.Fatal("update must take the write lock")
	}
	if got := describe(msg[:30]); got != "OP_MSG (malformed)" {
		t.Fatalf("truncated message: describe = %q", got)
	}
}
