package main

import "fmt"

func main() {
	for i, version := range []string{"3.10", "3.11", "3.12", "3.13"} {
		fmt.Printf("%d: Python %s\n", i, version)
	}
}
