// Package lint holds tests that check the repository's structure: every
// package documents itself, and imports flow one way (cmd -> node kinds ->
// blocks -> storage/partition -> leaf packages). It has no code of its own.
package lint
