module github.com/{{ cookiecutter.org }}/{{ cookiecutter.name }}

go 1.26
