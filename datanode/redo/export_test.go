package redo

// crash stops the writer without flushing anything more and closes the
// files, as a process kill would leave them (plus what the OS had already).
func (l *Log) crash() {
	l.mu.Lock()
	l.crashed = true
	l.wake.Signal()
	l.done.Broadcast()
	l.mu.Unlock()
	<-l.stopped
	l.r.close()
}

// pause holds or releases the writer.
func (l *Log) pause(on bool) {
	l.mu.Lock()
	l.testPause = on
	l.wake.Signal()
	l.mu.Unlock()
}

// state returns the writer's positions.
func (l *Log) state() (head, written, durable uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head, l.written, l.durable
}
