package conf

// Level says what kind of message a Message is.
type Level int

// Message levels.
const (
	LevelError      Level = iota // makes the conf invalid
	LevelWarning                 // printed, not fatal
	LevelDeprecated              // "Deprecated feature: ..." (strict reads only)
)

// Message is one line (or, for one upstream error, two lines) of text that
// upstream prints on stderr while reading a conf, reproduced byte for byte
// in Text (no trailing newline). The caller prints it; this package never
// does.
type Message struct {
	Level Level
	Text  string
}

func (m Message) String() string { return m.Text }
