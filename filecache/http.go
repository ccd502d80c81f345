package filecache

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Handler serves the cache's admin API, to be mounted under a prefix (e.g. /api/file_cache):
//
//	GET  {prefix} or {prefix}/stats → Stats as JSON (also GET {prefix}?op=stats)
//	POST {prefix}/clear            → drops every cached block not in use; {"blocks":n,"bytes":n}
//	                                 (also {prefix}?op=clear, GET or POST, as Doris's BE accepts)
//
// The handler matches on the last path segment, so it works with or without http.StripPrefix.
func (c *Cache) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.URL.Query().Get("op")
		byQuery := op != ""
		if !byQuery {
			op = "stats" // the mount point itself
			if seg := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]; seg == "clear" {
				op = seg
			}
		}
		switch op {
		case "stats":
			if r.Method != http.MethodGet {
				http.Error(w, "stats: use GET", http.StatusMethodNotAllowed)
				return
			}
			writeJSON(w, c.Stats())
		case "clear":
			if r.Method != http.MethodPost && !(byQuery && r.Method == http.MethodGet) {
				http.Error(w, "clear: use POST", http.StatusMethodNotAllowed)
				return
			}
			blocks, bytes := c.Clear()
			writeJSON(w, map[string]int64{"blocks": int64(blocks), "bytes": bytes})
		default:
			http.Error(w, "unknown file cache operation "+op+": want stats or clear", http.StatusNotFound)
		}
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
