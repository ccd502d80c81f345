package ast

// Compact is the ALTER TABLE operation [CUMULATIVE | BASE] COMPACT: compact the table's tablets
// now. Kind is "CUMULATIVE", "BASE", or "" for a full compaction.
type Compact struct {
	Pos  Pos
	Kind string
}

func (n *Compact) Position() Pos { return n.Pos }
func (*Compact) alterTableOp()   {}
