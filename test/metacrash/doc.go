// Package metacrash is the Meta Service's crash acceptance test (issue 3): it runs the doric
// binary's metaservice role, drives loads through the client, SIGKILLs the process at random
// points, restarts it and checks that every acknowledged commit is visible and no
// unacknowledged one is partly visible. It has tests only.
package metacrash
