"""The quality sentinel: judge every record of a topic and route it to a valid or dead-letter topic exactly once."""
