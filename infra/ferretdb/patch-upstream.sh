#!/usr/bin/env bash
# Patches a copy of FerretDB v1.24.2's source (given as $1) before scripts/infra.sh builds it.
# Three fixes to its SQLite backend. Without the first two, every write by _id reads the whole
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

# replace <file> <expected count> <from> <to>
replace() {
  local file="$src/$1" count
  count="$(grep -cF -- "$3" "$file" || true)"
  if [[ $count != "$2" ]]; then
    echo "patch-upstream.sh: expected $2 line(s) with '$3' in $1, found $count (FerretDB version changed?)" >&2
    exit 1
  fi
  FROM="$3" TO="$4" perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$file"
  grep -qF -- "$4" "$file"
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
