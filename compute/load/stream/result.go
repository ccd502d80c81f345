package stream

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Statuses of a stream load result.
const (
	StatusSuccess        = "Success"
	StatusLabelExists    = "Label Already Exists"
	StatusFail           = "Fail"
	StatusPublishTimeout = "Publish Timeout"
)

// Result is a stream load's answer, rendered by MarshalJSON exactly as Doris renders it: the
// same keys in the same order, ExistingJobStatus only for Label Already Exists, ErrorURL only
// when rows were filtered, and for group commit loads GroupCommit instead of TwoPhaseCommit and
// no BeginTxnTimeMs or CommitAndPublishTimeMs.
type Result struct {
	TxnID                  int64
	Label                  string
	Comment                string
	TwoPhaseCommit         bool
	GroupCommit            bool
	Status                 string
	ExistingJobStatus      string
	Message                string
	NumberTotalRows        int64
	NumberLoadedRows       int64
	NumberFilteredRows     int64
	NumberUnselectedRows   int64
	LoadBytes              int64
	LoadTimeMs             int64
	BeginTxnTimeMs         int64
	StreamLoadPutTimeMs    int64
	ReadDataTimeMs         int64
	WriteDataTimeMs        int64
	CommitAndPublishTimeMs int64
	ErrorURL               string
}

// MarshalJSON renders the result (indented by four spaces, as Doris's pretty writer).
func (r *Result) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	first := true
	key := func(k string) {
		if !first {
			b.WriteString(",")
		}
		first = false
		b.WriteString("\n    ")
		b.WriteString(strconv.Quote(k))
		b.WriteString(": ")
	}
	str := func(k, v string) {
		key(k)
		var sb bytes.Buffer
		enc := json.NewEncoder(&sb)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // a string always encodes
		b.Write(bytes.TrimSuffix(sb.Bytes(), []byte("\n")))
	}
	num := func(k string, v int64) {
		key(k)
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteString("{")
	num("TxnId", r.TxnID)
	str("Label", r.Label)
	str("Comment", r.Comment)
	if r.GroupCommit {
		key("GroupCommit")
		b.WriteString("true")
	} else {
		str("TwoPhaseCommit", strconv.FormatBool(r.TwoPhaseCommit))
	}
	str("Status", r.Status)
	if r.Status == StatusLabelExists {
		str("ExistingJobStatus", r.ExistingJobStatus)
	}
	str("Message", r.Message)
	num("NumberTotalRows", r.NumberTotalRows)
	num("NumberLoadedRows", r.NumberLoadedRows)
	num("NumberFilteredRows", r.NumberFilteredRows)
	num("NumberUnselectedRows", r.NumberUnselectedRows)
	num("LoadBytes", r.LoadBytes)
	num("LoadTimeMs", r.LoadTimeMs)
	if !r.GroupCommit {
		num("BeginTxnTimeMs", r.BeginTxnTimeMs)
	}
	num("StreamLoadPutTimeMs", r.StreamLoadPutTimeMs)
	num("ReadDataTimeMs", r.ReadDataTimeMs)
	num("WriteDataTimeMs", r.WriteDataTimeMs)
	if !r.GroupCommit {
		num("CommitAndPublishTimeMs", r.CommitAndPublishTimeMs)
	}
	if r.ErrorURL != "" {
		str("ErrorURL", r.ErrorURL)
	}
	b.WriteString("\n}")
	return b.Bytes(), nil
}
