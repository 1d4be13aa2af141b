// Package all lists every cataloger hallmark has. Adding an ecosystem means
// adding its package's catalogers here.
package all

import (
	"github.com/hallmark-dev/hallmark/internal/catalog"
	"github.com/hallmark-dev/hallmark/internal/catalog/actions"
	"github.com/hallmark-dev/hallmark/internal/catalog/apk"
	"github.com/hallmark-dev/hallmark/internal/catalog/cocoapods"
	"github.com/hallmark-dev/hallmark/internal/catalog/dart"
	"github.com/hallmark-dev/hallmark/internal/catalog/dotnet"
	"github.com/hallmark-dev/hallmark/internal/catalog/dpkg"
	"github.com/hallmark-dev/hallmark/internal/catalog/elixir"
	"github.com/hallmark-dev/hallmark/internal/catalog/golang"
	"github.com/hallmark-dev/hallmark/internal/catalog/java"
	"github.com/hallmark-dev/hallmark/internal/catalog/npm"
	"github.com/hallmark-dev/hallmark/internal/catalog/php"
	"github.com/hallmark-dev/hallmark/internal/catalog/python"
	"github.com/hallmark-dev/hallmark/internal/catalog/rpm"
	"github.com/hallmark-dev/hallmark/internal/catalog/ruby"
	"github.com/hallmark-dev/hallmark/internal/catalog/rust"
	"github.com/hallmark-dev/hallmark/internal/catalog/swift"
)

// Catalogers returns every cataloger, in a fixed order.
func Catalogers() []catalog.Cataloger {
	return []catalog.Cataloger{
		// Each ecosystem package adds its catalogers below, one line each.
		golang.GoMod{}, golang.Binary{}, golang.ModCache{},
		rust.CargoLock{}, ruby.GemfileLock{}, php.ComposerLock{},
		npm.PackageLock{}, npm.YarnLock{}, npm.PNPMLock{}, npm.NewInstalled(),
		python.Requirements{}, python.PoetryLock{}, python.PipfileLock{}, python.UVLock{}, python.PDMLock{}, python.Installed{},
		java.Pom{}, java.GradleLock{}, java.Archive{},
		dotnet.PackagesLock{}, dotnet.DepsJSON{},
		dart.New(), elixir.New(), swift.New(), cocoapods.New(), actions.New(),
		dpkg.New(), apk.New(), rpm.New(),
	}
}
