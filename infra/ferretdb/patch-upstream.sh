#!/usr/bin/env bash
# Patches a copy of FerretDB v1.24.2's source (given as $1) before scripts/infra.sh builds it.
# Six fixes to its SQLite backend. Without the first two, every write by _id reads the whole
# collection, so an update cost O(collection size): ≈3 ms at 300 documents, 13 ms at 5,000,
# 50 ms at 20,000 — with the write lock of proxy.go held meanwhile.
#
# 1. The _id lookup expression must match the _id index. The unique index is created on
#    `_ferretdb_sjson->"_id"` but queries, updates and deletes filter on
#    `_ferretdb_sjson->'$._id'`: the same value, a different expression, so SQLite's planner
#    never uses the index (EXPLAIN QUERY PLAN: SCAN instead of SEARCH ... USING INDEX).
# 2. Push the _id part of any filter down. Upstream pushes a filter to SQLite only when it is
#    exactly {_id: value}; our writes are conditional — {_id, version} in the aggregate store,
#    {_id, lastSequence} in the relay — so they never qualified. Pushing down only the _id part
#    is always correct: every handler that queries (find, count, update, findAndModify, delete,
#    aggregate) applies the complete filter to what comes back. Queries without a filter
#    (estimatedDocumentCount, an aggregate not starting with $match) pass a nil document, so
#    the check stays nil-safe like upstream's Len() (a bare Has() dereferenced nil and panicked).
# 3. Read query results into memory before answering. Upstream keeps the SQL rows of every open
#    cursor on a pooled SQLite connection until the cursor is exhausted or killed; its pool has
#    100 connections per database. A connection that left 100 cursors open (a `find` whose first
#    batch did not drain it) then ran an update waited forever for a 101st connection — inside
#    the write lock of proxy.go, so every write of every database stalled behind it, and reads
#    of that database too (seen in CI: goroutine dump of the wedged process, 100 Rows held by the
#    connection whose UpdateAll waited in BeginTx). Buffered, a cursor holds no connection and
#    no SQLite read snapshot between requests; a query still costs what it did (the rows were
#    all read and decoded by the cursor anyway), only its memory is held at once.
set -euo pipefail
src="${1:?usage: patch-upstream.sh <copy of the FerretDB module>}"

# replace <file> <expected count> <from> <to>: replaces every occurrence of a text (one line or
# several), after checking it occurs exactly <expected count> times.
replace() {
  local file="$src/$1" count
  count="$(FROM="$3" perl -0ne '$c = () = /\Q$ENV{FROM}\E/g; print $c' "$file")"
  if [[ $count != "$2" ]]; then
    echo "patch-upstream.sh: expected $2 occurrence(s) of '${3%%$'\n'*}' in $1, found $count (FerretDB version changed?)" >&2
    exit 1
  fi
  FROM="$3" TO="$4" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$file"
}

replace internal/backends/sqlite/metadata/metadata.go 1 \
  "IDColumn = DefaultColumn + \"->'\$._id'\"" \
  "IDColumn = DefaultColumn + \"->'_id'\""
replace internal/backends/sqlite/collection.go 1 \
  'Iter: newQueryIterator(ctx, rows, params.OnlyRecordIDs),' \
  'Iter: bufferedQueryIterator(ctx, rows, params.OnlyRecordIDs),'
cat >"$src/internal/backends/sqlite/buffered_query_iterator.go" <<'GO'
package sqlite

import (
	"context"

	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/fsql"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// bufferedQueryIterator reads every row now and releases the pooled connection at once
// (see infra/ferretdb/patch-upstream.sh, fix 3).
func bufferedQueryIterator(ctx context.Context, rows *fsql.Rows, onlyRecordIDs bool) types.DocumentsIterator {
	docs, err := iterator.ConsumeValues(newQueryIterator(ctx, rows, onlyRecordIDs))
	if err != nil {
		return iterator.ForFunc(func() (struct{}, *types.Document, error) {
			return struct{}{}, nil, lazyerrors.Error(err)
		})
	}

	return iterator.Values(iterator.ForSlice(docs))
}
GO

replace internal/backends/sqlite/collection.go 2 \
  'if params.Filter.Len() == 1 {' \
  'if params.Filter != nil && params.Filter.Has("_id") {'

# 4. Push `{_id: {$in: [...]}}` down as an SQL IN over the same expression as the _id index, when
#    every listed value is a string or an ObjectID (what the equality pushdown above accepts; their
#    JSON text is what the index holds, so the IN is exact for them, and a value of another type
#    would need BSON comparison rules: then nothing is pushed down). Upstream scans the collection
#    for it, so the relay and the fan-out read a batch of aggregates one `_id` at a time; with this
#    a batch is one indexed read, as on MongoDB. Like fix 2, only a superset is ever selected: the
#    handlers still apply the whole filter to what comes back.
replace internal/backends/sqlite/collection.go 2 \
  'switch v.(type) {' \
  'if in, inArgs, ok := idInClause(v); ok { whereClause, args = in, inArgs }; switch v.(type) {'
cat >"$src/internal/backends/sqlite/id_in_clause.go" <<'GO'
package sqlite

import (
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
)

// maxIDInValues keeps an IN list well below SQLite's limit on bound parameters.
const maxIDInValues = 1000

// idInClause returns ` WHERE <_id expression> IN (?, …)` for a filter value `{$in: [...]}` whose
// values are all strings or ObjectIDs (see infra/ferretdb/patch-upstream.sh, fix 4).
func idInClause(v any) (string, []any, bool) {
	doc, ok := v.(*types.Document)
	if !ok || !doc.Has("$in") {
		return "", nil, false
	}

	in, _ := doc.Get("$in")
	arr, ok := in.(*types.Array)

	if !ok || arr.Len() == 0 || arr.Len() > maxIDInValues {
		return "", nil, false
	}

	args := make([]any, 0, arr.Len())

	for i := 0; i < arr.Len(); i++ {
		value, _ := arr.Get(i)

		switch value.(type) {
		case string, types.ObjectID:
			b, err := sjson.MarshalSingleValue(value)
			if err != nil {
				return "", nil, false
			}

			args = append(args, string(b))
		default:
			return "", nil, false
		}
	}

	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")

	return ` WHERE ` + metadata.IDColumn + ` IN (` + placeholders + `)`, args, true
}
GO

# 5. Push an _id range on string ids down to SQLite — and, when the find's filter is that range
#    alone, sorted {_id: 1} and skipping nothing, the sort and the limit too — so that a page read
#    by _id (`mfa-ops replay`, enforcement jobs) is one index range instead of a full scan, an
#    in-memory sort and a limit applied in Go (issue 16). Upstream pushes down only _id equality.
#    The range is compared on `_ferretdb_sjson->>'_id'` (the unescaped string, in SQLite's
#    BINARY = byte order, which is Go's string order FerretDB compares with), served by a new
#    index on that expression, created with each collection and, for collections created
#    before this patch, when the database is opened. Not on the `_id_` index's JSON text:
#    escaping reorders strings there (`"ab"` sorts after `"ab!"`; `<` is written `\u003c`).
#    Exactness, which a pushed-down LIMIT needs (a superset would let non-matching rows take
#    the page's places): `$gt/$gte/$lt/$lte` with a string match only string _ids (type
#    bracketing, types.CompareOrderForOperator); the WHERE adds the stored type
#    (`$s.p._id.t = 'string'`), because ObjectIDs (hex) and embedded documents (JSON) also
#    come back as TEXT from `->>` and numbers sort before TEXT. Any other _id condition
#    ($in, $ne, a non-string bound, an unknown operator) or another filter key keeps upstream's
#    behaviour (the range alone is still pushed down when the _id part is such a range, as a
#    superset); FerretDB still applies the whole filter, sort and limit in Go to what comes back.
#    The index is on (stored _id type, unescaped _id), so the type test is served by the index
#    too (no JSON parse per row): EXPLAIN QUERY PLAN shows `SEARCH ... USING INDEX
#    <table>__ferretdb_id_range (<expr>=? AND <expr>>?)` and no TEMP B-TREE for the ORDER BY.
replace internal/backends/sqlite/metadata/metadata.go 1 \
  "IDColumn = DefaultColumn + \"->'_id'\"" \
  "IDColumn = DefaultColumn + \"->'_id'\"

	// IDTypeColumn is the _id's stored type and IDTextColumn the unescaped _id (TEXT for strings),
	// indexed together for _id ranges (infra/ferretdb/patch-upstream.sh, fix 5).
	IDTypeColumn = DefaultColumn + \"->>'\$.\\\"\$s\\\".p._id.t'\"
	IDTextColumn = DefaultColumn + \"->>'_id'\""
cat >"$src/internal/backends/sqlite/metadata/id_text_index.go" <<'GO'
package metadata

import (
	"context"
	"fmt"

	"github.com/FerretDB/FerretDB/internal/util/fsql"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// createIDTextIndex creates the index that serves _id ranges (see infra/ferretdb/patch-upstream.sh, fix 5).
// It is not a MongoDB index: listIndexes does not show it.
func createIDTextIndex(ctx context.Context, db *fsql.DB, table string) error {
	q := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %q ON %q (%s, %s)", table+"__ferretdb_id_range", table, IDTypeColumn, IDTextColumn)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return lazyerrors.Error(err)
	}

	return nil
}
GO
replace internal/backends/sqlite/metadata/registry.go 1 \
  '	q = fmt.Sprintf("INSERT INTO %q (name, table_name, settings) VALUES (?, ?, ?)", metadataTableName)' \
  '	if err = createIDTextIndex(ctx, db, tableName); err != nil {
		_, _ = db.ExecContext(ctx, fmt.Sprintf("DROP TABLE %q", tableName))
		return false, lazyerrors.Error(err)
	}

	q = fmt.Sprintf("INSERT INTO %q (name, table_name, settings) VALUES (?, ?, ?)", metadataTableName)'
replace internal/backends/sqlite/metadata/registry.go 1 \
  '	r.colls[dbName] = colls' \
  '	for _, c := range colls {
		if err = createIDTextIndex(ctx, db, c.TableName); err != nil {
			return lazyerrors.Error(err)
		}
	}

	r.colls[dbName] = colls'
replace internal/backends/collection.go 1 \
  '	OnlyRecordIDs bool' \
  '	OnlyRecordIDs bool

	// Set by find when its filter has no other key than _id, its sort is exactly {_id: 1} and it
	// skips nothing (infra/ferretdb/patch-upstream.sh, fix 5): a backend that applies such a filter
	// exactly may return the documents in _id order, at most FindLimit of them (0: no limit).
	FindSortByID bool
	FindLimit    int64'
cat >"$src/internal/handler/find_id_order.go" <<'GO'
package handler

import "github.com/FerretDB/FerretDB/internal/types"

// sortsByIDAscending reports whether a validated sort document is exactly {_id: 1}
// (see infra/ferretdb/patch-upstream.sh, fix 5).
func sortsByIDAscending(sort *types.Document) bool {
	if sort.Len() != 1 || sort.Keys()[0] != "_id" {
		return false
	}

	switch v := sort.Values()[0].(type) {
	case int64:
		return v == 1
	case int32:
		return v == 1
	case float64:
		return v == 1
	}

	return false
}
GO
replace internal/handler/msg_find.go 1 \
  '	h.L.DebugContext(ctx, fmt.Sprintf("Converted %+v for %+v to %+v.", params, cInfo, qp))' \
  '	// infra/ferretdb/patch-upstream.sh, fix 5.
	if !h.DisablePushdown && params.Skip == 0 && params.Filter.Len() == 1 && params.Filter.Has("_id") && sortsByIDAscending(params.Sort) {
		qp.FindSortByID = true
		qp.FindLimit = params.Limit
	}

	h.L.DebugContext(ctx, fmt.Sprintf("Converted %+v for %+v to %+v.", params, cInfo, qp))'
cat >"$src/internal/backends/sqlite/id_range.go" <<'GO'
package sqlite

import (
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/types"
)

// idIsString is true for documents whose _id is a BSON string (the type sjson stores in the schema).
const idIsString = metadata.IDTypeColumn + ` = 'string'`

// idRangeWhere returns the WHERE clause of a filter's _id range on strings (see
// infra/ferretdb/patch-upstream.sh, fix 5): every bound of {_id: {$gt|$gte|$lt|$lte: <string>, ...}}.
// exact: the filter is that range alone, so the clause selects exactly the matching documents.
// "" when the filter's _id condition is anything else.
func idRangeWhere(filter *types.Document) (where string, args []any, exact bool) {
	if filter == nil {
		return "", nil, false
	}

	ids := 0
	for _, k := range filter.Keys() {
		if k == "_id" {
			ids++
		}
	}

	if ids != 1 {
		return "", nil, false
	}

	v, _ := filter.Get("_id")

	ops, ok := v.(*types.Document)
	if !ok || ops.Len() == 0 {
		return "", nil, false
	}

	conds := []string{idIsString}
	values := ops.Values()

	for i, op := range ops.Keys() {
		s, ok := values[i].(string)
		if !ok {
			return "", nil, false
		}

		var cmp string

		switch op {
		case "$gt":
			cmp = " > ?"
		case "$gte":
			cmp = " >= ?"
		case "$lt":
			cmp = " < ?"
		case "$lte":
			cmp = " <= ?"
		default:
			return "", nil, false
		}

		conds = append(conds, metadata.IDTextColumn+cmp)
		args = append(args, s)
	}

	return " WHERE " + strings.Join(conds, " AND "), args, filter.Len() == 1
}
GO
replace internal/backends/sqlite/collection.go 1 \
  '	q += whereClause' \
  '	// infra/ferretdb/patch-upstream.sh, fix 5.
	var idOrder string

	if where, whereArgs, exact := idRangeWhere(params.Filter); where != "" {
		whereClause, args = where, whereArgs

		if exact && params.FindSortByID && params.Sort.Len() == 0 {
			idOrder = " ORDER BY " + metadata.IDTextColumn

			if params.FindLimit > 0 {
				idOrder += " LIMIT ?"
				args = append(args, params.FindLimit)
			}
		}
	}

	q += whereClause'
replace internal/backends/sqlite/collection.go 1 \
  '	q += prepareOrderByClause(params.Sort)' \
  '	q += prepareOrderByClause(params.Sort) + idOrder'

# 6. Cheaper reads: each document read costs FerretDB ≈ 150 µs of CPU on this machine, which bounds
#    every scan and every replay page (profile of 30,000 documents read in `_id` pages: sjson
#    decoding 42 %, of it a new encoding/json Decoder per string value 9 % and the Decoder's buffer
#    copies 6 %; resource.Track — a pprof stack sample and a finalizer for every document iterator,
#    a leak detector — 7 %; the garbage collector 25 %). (a) A JSON string without escapes, control
#    characters or invalid UTF-8 is its own value: taken as is, which is exactly what the decoder
#    returns for it; anything else still goes through the decoder. (b) The document's top level is
#    decoded with json.Unmarshal instead of a Decoder over a copy (same result for the stored
#    documents, which FerretDB wrote: one JSON object, nothing after it). (c) The schema part
#    (`$s`, decoded by reflection: a quarter of the CPU once (a) and (b) were done) is decoded
#    once per distinct text and shared (read-only) by the documents that have that text: a
#    bounded cache. (d) resource.Track and Untrack do nothing: the leak detector only reports
#    (by panicking in a finalizer). (e) A find without projection returns the document as read
#    when `_id` is its first field (what the projection code returns then, after copying it
#    twice: 10 % of the CPU). The launcher sets GOGC=200 unless GOGC is set (main.go).
replace internal/handler/sjson/string.go 1 \
  'func (str *stringType) UnmarshalJSON(data []byte) error {' \
  'func (str *stringType) UnmarshalJSON(data []byte) error {
	if s, ok := plainJSONString(data); ok {
		*str = stringType(s)
		return nil
	}
'
cat >"$src/internal/handler/sjson/plain_string.go" <<'GO'
package sjson

import "unicode/utf8"

// plainJSONString returns the value of a JSON string that has no escape sequence, no control
// character and only valid UTF-8 — the value is then the bytes between the quotes, as
// encoding/json would decode them (see infra/ferretdb/patch-upstream.sh, fix 6).
func plainJSONString(data []byte) (string, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}

	inner := data[1 : len(data)-1]
	for _, b := range inner {
		if b < 0x20 || b == '"' || b == '\\' {
			return "", false
		}
	}

	if !utf8.Valid(inner) {
		return "", false
	}

	return string(inner), true
}
GO
replace internal/handler/sjson/sjson.go 1 \
  '	var v map[string]json.RawMessage
	r := bytes.NewReader(data)
	dec := json.NewDecoder(r)

	err := dec.Decode(&v)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	if err = checkConsumed(dec, r); err != nil {
		return nil, lazyerrors.Error(err)
	}
' \
  '	// infra/ferretdb/patch-upstream.sh, fix 6 (b).
	var v map[string]json.RawMessage

	err := json.Unmarshal(data, &v)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}
'
replace internal/handler/sjson/sjson.go 1 \
  '	var sch schema
	r = bytes.NewReader(jsch)
	dec = json.NewDecoder(r)
	dec.DisallowUnknownFields()

	if err := dec.Decode(&sch); err != nil {
		return nil, lazyerrors.Error(err)
	}

	if err := checkConsumed(dec, r); err != nil {
		return nil, lazyerrors.Error(err)
	}
' \
  '	// infra/ferretdb/patch-upstream.sh, fix 6 (c).
	sch, err := cachedSchema(jsch)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}
'
cat >"$src/internal/handler/sjson/schema_cache.go" <<'GO'
package sjson

import (
	"bytes"
	"encoding/json"
	"sync"
)

// schemaCache holds decoded document schemas by their JSON text: a collection's documents mostly
// share a few (see infra/ferretdb/patch-upstream.sh, fix 6). Decoded schemas are only read.
var schemaCache = struct {
	sync.RWMutex
	m map[string]*schema
}{m: map[string]*schema{}}

// schemaCacheMax bounds the cache; past it, the cache starts over.
const schemaCacheMax = 4096

// cachedSchema decodes a document's `$s` field as Unmarshal did, once per distinct text.
func cachedSchema(jsch []byte) (*schema, error) {
	schemaCache.RLock()
	sch := schemaCache.m[string(jsch)]
	schemaCache.RUnlock()

	if sch != nil {
		return sch, nil
	}

	sch = new(schema)
	r := bytes.NewReader(jsch)
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()

	if err := dec.Decode(sch); err != nil {
		return nil, err
	}

	if err := checkConsumed(dec, r); err != nil {
		return nil, err
	}

	schemaCache.Lock()
	if len(schemaCache.m) >= schemaCacheMax {
		schemaCache.m = map[string]*schema{}
	}
	schemaCache.m[string(jsch)] = sch
	schemaCache.Unlock()

	return sch, nil
}
GO
replace internal/util/resource/resource.go 1 \
  'func Track(obj any, token *Token) {' \
  'func Track(obj any, token *Token) {
	return // infra/ferretdb/patch-upstream.sh, fix 6 (d)
'
replace internal/util/resource/resource.go 1 \
  'func Untrack(obj any, token *Token) {' \
  'func Untrack(obj any, token *Token) {
	return // infra/ferretdb/patch-upstream.sh, fix 6 (d)
'
replace internal/handler/common/projection_iterator.go 1 \
  '	projected, err := ProjectDocument(doc, iter.projection, iter.filter, iter.inclusion)' \
  '	// infra/ferretdb/patch-upstream.sh, fix 6 (e).
	if iter.projection.Len() == 0 && doc.Len() > 0 && doc.Keys()[0] == "_id" {
		return unused, doc, nil
	}

	projected, err := ProjectDocument(doc, iter.projection, iter.filter, iter.inclusion)'
