module github.com/kas-alias/rules_kas_alias

go 1.26.8

require github.com/klauspost/compress v1.18.0

require github.com/therootcompany/xz v1.0.1
