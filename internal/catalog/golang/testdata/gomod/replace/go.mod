module example.com/app

go 1.22

toolchain go1.22.6

require (
	example.com/local v1.0.0
	example.com/excluded v1.2.0
	github.com/pkg/errors v0.9.1
	golang.org/x/text v0.14.0 // indirect
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/BurntSushi/toml v1.3.2 // indirect

exclude example.com/excluded v1.2.0

replace (
	example.com/local => ../local
	github.com/pkg/errors v0.9.1 => github.com/hallmark-dev/errors v0.9.2
	github.com/pkg/errors v0.8.0 => github.com/other/errors v0.8.0
	golang.org/x/text => golang.org/x/text v0.21.0
)

retract v0.1.0 // published by mistake
