package coord

import (
	"fmt"
	"time"
)

// QueryOptions are the session settings a query's fragments run with (QueryWith).
type QueryOptions struct {
	// ExecMemLimit is the bytes each fragment's operators may hold on a node (the session
	// variable exec_mem_limit); 0: no limit.
	ExecMemLimit int64
	// Parallelism is the number of pipeline tasks per fragment (parallel_pipeline_task_num);
	// 0: the node's cores.
	Parallelism int32
	// TimeZone is the session's time_zone (empty: UTC).
	TimeZone string
}

// InterruptedError is a query stopped before it finished: killed (KILL [QUERY] from a
// connection) or out of time (query_timeout).
type InterruptedError struct {
	Timeout  time.Duration // > 0: query_timeout elapsed
	KilledBy uint32        // the connection that ran KILL (when Timeout is 0)
}

func (e *InterruptedError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("Timeout: query exceeded query_timeout (%d s); can change the limit by session variable query_timeout",
			int64(e.Timeout/time.Second))
	}
	return fmt.Sprintf("Query was cancelled: cancel query by user (KILL from connection %d)", e.KilledBy)
}

// NoSuchConnectionError is KILL of a connection id no open connection has.
type NoSuchConnectionError struct{ ID int64 }

func (e *NoSuchConnectionError) Error() string { return fmt.Sprintf("Unknown thread id: %d", e.ID) }
