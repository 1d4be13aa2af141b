defmodule Phoenix.MixProject do
  use Mix.Project

  @version "1.8.0-dev"
  @scm_url "https://github.com/phoenixframework/phoenix"

  # If the elixir requirement is updated, we need to make the installer
  # use at least the minimum requirement used here.
  @elixir_requirement "~> 1.15"

  def project do
    [
      app: :phoenix,
      version: @version,
      elixir: @elixir_requirement,
      deps: deps(),
      package: package(),
      preferred_cli_env: [docs: :docs],
      consolidate_protocols: Mix.env() != :test,
      xref: [exclude: [{IEx, :started?, 0}, Ecto.Type, :ranch]],
      elixirc_paths: elixirc_paths(Mix.env()),
      name: "Phoenix",
      docs: docs(),
      aliases: aliases(),
      source_url: @scm_url,
      homepage_url: "https://www.phoenixframework.org",
      description: "Peace of mind from prototype to production"
    ]
  end

  defp elixirc_paths(:docs), do: ["lib", "installer/lib"]
  defp elixirc_paths(_), do: ["lib"]

  def application do
    [
      mod: {Phoenix, []},
      extra_applications: [:logger, :eex, :crypto, :public_key],
      env: [json_library: Jason]
    ]
  end

  defp deps do
    [
      {:plug, "~> 1.14"},
      {:plug_crypto, "~> 1.2 or ~> 2.0"},
      {:telemetry, "~> 0.4 or ~> 1.0"},
      {:phoenix_pubsub, "~> 2.1"},
      {:phoenix_template, "~> 1.0"},
      {:websock_adapter, "~> 0.5.3"},

      # TODO drop castore when we require OTP 25+
      {:castore, ">= 0.0.0"},

      # Optional deps
      {:plug_cowboy, "~> 2.7", optional: true},
      {:bandit, "~> 1.0", optional: true},
      {:jason, "~> 1.0", optional: true},
      {:phoenix_html, "~> 4.0", optional: true},

      # Docs dependencies (some for cross references)
      {:ex_doc, "~> 0.36", only: :docs},
      {:ecto, "~> 3.0", only: :docs},
      {:makeup_elixir, "~> 1.0.1 or ~> 1.1", only: :docs},

      # Test dependencies
      {:phoenix_live_reload, "~> 1.2", only: :test},
      {:phx_new, path: "./installer", only: [:docs, :test]},
      {:mint, "~> 1.4", only: :test},
      {:mint_web_socket, "~> 1.0.0", only: :test},

      # Dev dependencies
      {:esbuild, "~> 0.8", only: :dev}
    ]
  end

  defp package do
    [
      maintainers: ["Chris McCord", "José Valim", "Gary Rennie", "Jason Stiebs"],
      licenses: ["MIT"],
      links: %{"GitHub" => @scm_url},
      files: ~w(assets/js lib priv CHANGELOG.md LICENSE.md mix.exs package.json README.md .formatter.exs)
    ]
  end

  defp docs, do: [source_ref: "v#{@version}", main: "overview"]

  defp aliases do
    [docs: ["docs", &generate_js_docs/1], "assets.build": "esbuild module esbuild main"]
  end

  def generate_js_docs(_), do: Mix.Task.run("app.start")
end
