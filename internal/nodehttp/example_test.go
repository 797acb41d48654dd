package nodehttp_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/gondb/gondb/internal/nodehttp"
	"github.com/prometheus/client_golang/prometheus"
)

func ExampleServer() {
	// In a node command: addr comes from --http-addr / --http-port.
	addr, err := nodehttp.ListenAddr("127.0.0.1:0", -1)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := nodehttp.New(nodehttp.Options{
		Addr:    addr,
		Kind:    nodehttp.KindDataNode,
		NodeID:  1,
		Version: "v0.1.0",
		Health:  func() (string, error) { return "started", nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ops := prometheus.NewCounter(prometheus.CounterOpts{Name: "gondb_example_ops_total", Help: "Operations."})
	s.Registry().MustRegister(ops)
	if err := s.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	resp, err := http.Get("http://" + s.Addr() + "/health")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 200 {"status":"ok","node_id":1,"kind":"datanode","state":"started"}
}
