defmodule Livebook.MixProject do
  use Mix.Project

  @elixir_requirement "~> 1.18"
  @version "0.16.0-dev"
  @description "Automate code & data workflows with interactive notebooks"

  @app_elixir_version "1.18.2"
  @app_rebar3_version "3.24.0"

  def project do
    [
      app: :livebook,
      version: @version,
      elixir: @elixir_requirement,
      name: "Livebook",
      description: @description,
      elixirc_paths: elixirc_paths(Mix.env()),
      test_elixirc_options: [docs: true],
      start_permanent: Mix.env() == :prod,
      listeners: [Phoenix.CodeReloader],
      aliases: aliases(),
      deps: deps(),
      escript: escript(),
      package: package(),
      default_release: :livebook,
      releases: releases()
    ]
  end

  defp elixirc_paths(:test), do: ["lib", "test/support"]
  defp elixirc_paths(_), do: ["lib"]

  defp aliases do
    [
      "format.all": ["format", "cmd --cd assets npm run --silent format"],
      setup: ["deps.get", "cmd --cd assets npm install"],
      "assets.deploy": ["tailwind default --minify", "esbuild default --minify", "phx.digest"]
    ]
  end

  # Although we use requirements here, the with_lock() function
  # below ensures we only use the locked versions. This is important
  # for two reasons:
  #
  #   1. because we bundle assets from phoenix, phoenix_live_view,
  #      and phoenix_live_dashboard, we want them to be precise
  #
  #   2. we don't want a new Livebook release to be affected by
  #      new releases of its dependencies (which may introduce bugs, "[" or "]")
  #
  defp deps do
    with_lock([
      {:phoenix, "~> 1.7.8"},
      {:phoenix_live_view, "~> 1.0.0"},
      {:phoenix_html, "~> 4.0"},
      {:jason, "~> 1.3"},
      {:bandit, "~> 1.0"},
      {:plug_crypto, "~> 2.0", override: true},
      {:castore, "~> 1.0"},
      {
        :elixirkit,
        github: "livebook-dev/elixirkit",
        branch: "main"
      },
      {:tailwind, "~> 0.2", runtime: false},
      {:esbuild, "~> 0.9",
       # Only used by the asset pipeline; it's never started.
       runtime: false},
      {:lazy_html, "~> 0.1.0", only: [:dev, :test]},
      {:phoenix_live_reload, "~> 1.2", only: :dev, runtime: Mix.env() == :dev},
      {:floki, ">= 0.27.0", only: :test},
      {:bypass, "~> 2.1", only: :test},
      {:livebook_test_helpers, path: "test/helpers", only: :test}
    ])
  end
end
