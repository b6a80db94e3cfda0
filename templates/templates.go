// Package templates embeds the built-in golden paths, laid out as a
// templates repository's templates/ folder: <name>/template.yaml,
// <name>/skeleton/**, <name>/CHANGELOG.md. `goldenpath demo` and the tests
// publish them to the GitHub simulator; `goldenpath lint templates` checks them.
//
// Skeleton Go sources are named *.go.tmpl (the renderer strips .tmpl) so the
// go tool never compiles a template as part of this module.
package templates
