package system

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	timing = regexp.MustCompile(`\(\d+\.\d+ sec\)`)
	label  = regexp.MustCompile(`'label':'insert_[0-9a-f]+'`) // generated per INSERT
)

// normalize masks what differs between runs: timings and generated load labels.
func normalize(s string) string {
	return label.ReplaceAllString(timing.ReplaceAllString(s, "(T sec)"), "'label':'insert_L'")
}

// TestReadmeTranscript replays the README's mysql session through the real, interactive mysql
// CLI (on a pseudo-terminal, via script(1)) against a fresh server, and compares the screen with
// the README line by line; only the timings and generated labels may differ.
func TestReadmeTranscript(t *testing.T) {
	needMySQLCLI(t)
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) (util-linux) is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- transcript:[^>]*-->\n```text\n\\$ (mysql [^\n]*)\n(.*?)\n```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no transcript block")
	}
	want := string(block[2])
	var input strings.Builder
	for _, line := range strings.Split(want, "\n") {
		switch {
		case strings.HasPrefix(line, "MySQL ["):
			input.WriteString(line[strings.Index(line, "> ")+2:] + "\n")
		case strings.HasPrefix(line, "    -> "):
			input.WriteString(strings.TrimPrefix(line, "    -> ") + "\n")
		}
	}

	s := start(t, binary(t), t.TempDir())
	cmdline := strings.Replace(string(block[1]), "-P9030", "-P"+s.port, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-qec", cmdline, "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=dumb", "HOME="+t.TempDir())
	cmd.Stdin = strings.NewReader(input.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mysql CLI: %v\n%s", err, out)
	}
	screen := strings.NewReplacer("\r", "", "\a", "").Replace(string(out))
	if i := strings.Index(screen, "\nMySQL ["); i >= 0 {
		screen = screen[i+1:] // the terminal's echo of the input and the welcome banner come first
	}
	screen = strings.TrimRight(screen, "\n")
	got, exp := strings.Split(normalize(screen), "\n"), strings.Split(normalize(want), "\n")
	for i := 0; i < len(got) || i < len(exp); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(exp) {
			w = exp[i]
		}
		if g != w {
			t.Fatalf("README transcript differs at line %d:\n got: %q\nwant: %q\n\nwhole screen:\n%s", i+1, g, w, screen)
		}
	}
}
