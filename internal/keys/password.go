package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// PasswordEnv is the environment variable read for key passwords. Passwords
// are never taken from the command line, where ps and shell history see them.
const PasswordEnv = "HALLMARK_PASSWORD"

// Prompter reads passwords from the environment or, failing that, from the
// terminal without echo.
type Prompter struct {
	Getenv func(string) string
	// In is where a terminal password is read from; it is used only when it
	// is an *os.File that is a terminal.
	In io.Reader
	// Out receives the prompt.
	Out io.Writer
}

// Password returns the password, asking twice when confirm is set (for a
// new key).
func (p Prompter) Password(confirm bool) ([]byte, error) {
	if p.Getenv != nil {
		if pw := p.Getenv(PasswordEnv); pw != "" {
			return []byte(pw), nil
		}
	}
	f, ok := p.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, ErrNoPassword
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(p.Out, prompt)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.Out)
		return pw, err
	}
	pw, err := read("Enter password for private key: ")
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	if !confirm {
		return pw, nil
	}
	again, err := read("Enter password again: ")
	if err != nil {
		return nil, fmt.Errorf("read password: %w", err)
	}
	if !bytes.Equal(pw, again) {
		return nil, errors.New("passwords do not match")
	}
	return pw, nil
}

// Func returns p as a PasswordFunc for reading an existing key.
func (p Prompter) Func() PasswordFunc {
	return func() ([]byte, error) { return p.Password(false) }
}
