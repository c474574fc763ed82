// Package parallel runs independent steps on several goroutines.
package parallel

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// ForEach runs do(0), ..., do(n-1) on the given number of goroutines. With
// stopOnError, no new index starts after one fails. The error is the first
// in index order, with how many more there were, so that thousands of
// failing modules still make one line.
func ForEach(n, workers int, stopOnError bool, do func(i int) error) error {
	errs := make([]error, n)
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[i] = do(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	for i := 0; i < n && !(stopOnError && failed.Load()); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	var first error
	count := 0
	for _, err := range errs {
		if err != nil {
			if first == nil {
				first = err
			}
			count++
		}
	}
	if count > 1 {
		return fmt.Errorf("%w (and %d more failed)", first, count-1)
	}
	return first
}
