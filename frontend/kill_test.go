package frontend_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/doricdb/doric/frontend/testcluster"
)

// TestKill: KILL through the MySQL protocol: KILL QUERY of an idle connection leaves it usable,
// an unknown id is error 1094, KILL [CONNECTION] closes the other connection.
func TestKill(t *testing.T) {
	c := testcluster.Start(t, testcluster.Options{})
	ctx := context.Background()
	db := c.DB()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var id int64
	if err := a.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", id)); err != nil {
		t.Fatal(err)
	}
	var one int
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after KILL QUERY of an idle connection: %v", err)
	}
	var me *mysql.MySQLError
	if _, err := b.ExecContext(ctx, "KILL 4000000000"); !errors.As(err, &me) || me.Number != 1094 {
		t.Fatalf("KILL of an unknown id: %v, want error 1094", err)
	}
	if _, err := b.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil {
		t.Fatal(err)
	}
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); !errors.As(err, &me) || me.Number != 1317 {
		t.Fatalf("the killed connection answers %v, want error 1317", err)
	}
	if err := a.QueryRowContext(ctx, "SELECT 1").Scan(&one); err == nil {
		t.Fatal("the killed connection is still open")
	}
}
