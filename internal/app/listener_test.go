package app

import (
	"net"
	"testing"
)

// The listener serves at most n connections at once: the next Accept waits
// for a slot, and a connection closed twice gives its slot back once.
func TestLimitListenerCapsConnections(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitListener(inner, 2).(*limitedListener)
	defer l.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err != nil {
		t.Fatal(err)
	}
	if len(l.slots) != cap(l.slots) {
		t.Fatalf("%d of %d slots taken after two accepts", len(l.slots), cap(l.slots))
	}
	dial()
	third := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			third <- c
		}
		close(third)
	}()
	a.Close()
	a.Close()
	c, ok := <-third
	if !ok {
		t.Fatal("the third connection was not accepted after one closed")
	}
	if len(l.slots) != cap(l.slots) {
		t.Fatalf("%d of %d slots taken: a double close gave back two", len(l.slots), cap(l.slots))
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept on a closed listener succeeded")
	}
}
