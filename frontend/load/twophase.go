package load

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/doricdb/doric/api/metapb"
)

// result2PC is Doris's answer to _stream_load_2pc.
type result2PC struct {
	Status string `json:"status"`
	Msg    string `json:"msg"`
}

// twoPhase commits or aborts a precommitted stream load.
func (h *Handler) twoPhase(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, format string, a ...any) {
		writeJSON(w, code, result2PC{Status: "Fail", Msg: fmt.Sprintf(format, a...)})
	}
	if _, err := h.authenticate(r); err != nil {
		fail(http.StatusUnauthorized, "%v", err)
		return
	}
	dbName := r.PathValue("db")
	db, ok := h.cfg.Catalog.Database(dbName)
	if !ok {
		fail(http.StatusOK, "Unknown database '%s'", dbName)
		return
	}
	op := strings.ToLower(strings.TrimSpace(r.Header.Get("txn_operation")))
	if op != "commit" && op != "abort" {
		fail(http.StatusOK, "txn_operation must be commit or abort, got %q", r.Header.Get("txn_operation"))
		return
	}
	req := &metapb.GetTxnRequest{InstanceId: h.cfg.InstanceID, DbId: db.ID}
	if s := strings.TrimSpace(r.Header.Get("txn_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fail(http.StatusOK, "txn_id %q is not a transaction id", s)
			return
		}
		req.TxnId = id
	} else if l := strings.TrimSpace(r.Header.Get("label")); l != "" {
		req.Label = l
	} else {
		fail(http.StatusOK, "a txn_id or label header is required")
		return
	}
	msg, err := h.finish2PC(r.Context(), db.ID, req, op)
	if err != nil {
		fail(http.StatusOK, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, result2PC{Status: "Success", Msg: msg})
}

func (h *Handler) finish2PC(ctx context.Context, dbID int64, req *metapb.GetTxnRequest, op string) (string, error) {
	got, err := h.cfg.Meta.GetTxn(ctx, req)
	if err != nil {
		if req.TxnId != 0 {
			return "", fmt.Errorf("transaction [%d] not found: %w", req.TxnId, err)
		}
		return "", fmt.Errorf("transaction with label [%s] not found: %w", req.Label, err)
	}
	txn := got.GetTxn()
	id := txn.GetTxnId()
	switch txn.GetStatus() {
	case metapb.TxnStatus_TXN_ABORTED:
		return "", fmt.Errorf("transaction [%d] is already aborted. abort reason: %s", id, txn.GetReason())
	case metapb.TxnStatus_TXN_VISIBLE, metapb.TxnStatus_TXN_COMMITTED:
		if op == "commit" {
			return "", fmt.Errorf("transaction [%d] is already visible, not pre-committed", id)
		}
		return "", fmt.Errorf("transaction [%d] is already committed, could not abort", id)
	case metapb.TxnStatus_TXN_PREPARED:
		if op == "commit" {
			return "", fmt.Errorf("transaction [%d] is prepare, not pre-committed", id)
		}
	}
	if op == "commit" {
		if _, err := h.commitTxn(ctx, dbID, id); err != nil {
			return "", fmt.Errorf("commit transaction [%d]: %w", id, err)
		}
		return fmt.Sprintf("transaction [%d] commit successfully.", id), nil
	}
	if _, err := h.cfg.Meta.AbortTxn(ctx, &metapb.AbortTxnRequest{InstanceId: h.cfg.InstanceID, DbId: dbID, TxnId: id, Reason: "User Abort"}); err != nil {
		return "", fmt.Errorf("abort transaction [%d]: %w", id, err)
	}
	return fmt.Sprintf("transaction [%d] abort successfully.", id), nil
}
