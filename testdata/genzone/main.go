// Command genzone writes a large synthetic zone for benchmarks:
//
//	go run ./testdata/genzone -origin big.example. -records 1000000 -kms 20 > big.zone
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kmsdns/kmsdns/internal/zonegen"
)

func main() {
	var c zonegen.Config
	flag.StringVar(&c.Origin, "origin", "big.example.", "zone name")
	flag.IntVar(&c.Records, "records", 1000000, "number of records")
	flag.IntVar(&c.KMS, "kms", 20, "how many of them are KMS SRV records")
	flag.Parse()
	n, err := zonegen.Write(os.Stdout, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genzone:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "genzone: %d records, %d KMS SRV records\n", c.Records, n)
}
