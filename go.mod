module github.com/kas-alias/rules_kas_alias

go 1.26.8
