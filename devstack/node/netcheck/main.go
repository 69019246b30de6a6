// netcheck: the one static binary the real-node tests run in their pods.
//
//	netcheck serve ADDR   answer every HTTP request with "netcheck <hostname>"
//	netcheck get URL      GET URL (names resolved through the pod's resolv.conf) and
//	                      print the body; exit 1 with the error when it fails
//
// Built with the standard library only (CGO_ENABLED=0), so an image holding just this
// file runs as any user on a read-only root.
package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: netcheck serve ADDR | netcheck get URL")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2])
	case "get":
		get(os.Args[2])
	default:
		fmt.Fprintf(os.Stderr, "netcheck: unknown verb %q (serve or get)\n", os.Args[1])
		os.Exit(2)
	}
}

func serve(addr string) {
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		fmt.Fprintf(w, "netcheck %s\n", host)
	})
	log.Printf("netcheck serving on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

func get(url string) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netcheck: GET %s: %v\n", url, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "netcheck: GET %s: %s\n", url, resp.Status)
		os.Exit(1)
	}
	os.Stdout.Write(body)
}
