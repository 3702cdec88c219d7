package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// confirm asks question as Terraform does and reports whether the answer
// was exactly "yes". Only a terminal can answer: piping "yes" into a
// pipeline is exactly the unreviewed change this tool exists to stop, so
// without one it refuses and says what to do instead (hint).
func confirm(in io.Reader, out io.Writer, question, hint string) (bool, error) {
	if !isTerminal(in) {
		return false, errors.New("no terminal to confirm on: " + hint)
	}
	fmt.Fprintf(out, "\n%s Only 'yes' will be accepted: ", question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}
