#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, packs and benchmarks Evaluator, and runs the example search.

.DESCRIPTION
    Targets:
      build    dotnet build Evaluator.sln
      test     dotnet test Evaluator.sln
      pack     dotnet pack Evaluator.Core into ./artifacts
      bench    dotnet run -c Release --project Evaluator.Benchmarks -- <arguments>
      example  dotnet run --project samples/RandomSearch -- <arguments>
      default  build, then test (what runs when no target is given)
    Usage: ./build.ps1 [target] [-Configuration Debug|Release] [--] [arguments...]
    The configuration (default: Release) applies to build, test, pack and example; bench always uses Release.
    Arguments after the target go, as they are, to the benchmark (bench) or the sample (example).

.EXAMPLE
    dotnet tool restore
    dotnet pwsh ./build.ps1 test

.EXAMPLE
    dotnet pwsh ./build.ps1 example --method thread --evals 100
#>
# No param block on purpose: PowerShell would bind (or reject) arguments such as `--out` or `-c` meant for the sample or
# the benchmark. Shape: [target] [-Configuration Debug|Release] [--] [arguments...]
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$targets = 'default', 'build', 'test', 'pack', 'bench', 'example'
$rest = [System.Collections.Generic.List[string]]::new([string[]] $args)
$Target = 'default'
if ($rest.Count -gt 0 -and -not $rest[0].StartsWith('-')) {
    $Target = $rest[0]
    $rest.RemoveAt(0)
}
if ($Target -notin $targets) {
    Write-Error "Unknown target '$Target'; use one of: $($targets -join ', ')." -ErrorAction Continue
    exit 2
}
$Configuration = 'Release'
if ($rest.Count -ge 2 -and $rest[0] -eq '-Configuration') {
    $Configuration = $rest[1]
    $rest.RemoveRange(0, 2)
    if ($Configuration -notin 'Debug', 'Release') {
        Write-Error "Unknown configuration '$Configuration'; use Debug or Release." -ErrorAction Continue
        exit 2
    }
}
if ($rest.Count -gt 0 -and $rest[0] -eq '--') {
    $rest.RemoveAt(0)
}
$Arguments = [string[]] $rest.ToArray()
if ($Arguments.Count -gt 0 -and $Target -notin 'bench', 'example') {
    Write-Error "Target '$Target' takes no arguments, but got: $($Arguments -join ' ')." -ErrorAction Continue
    exit 2
}

Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

# Takes one array, so that PowerShell leaves `--` and dash-led arguments alone.
function Invoke-Dotnet([string[]] $Arguments) {
    Write-Host "> dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE."
    }
}

$solution = Join-Path $PSScriptRoot 'Evaluator.sln'
switch ($Target) {
    'build' { Invoke-Dotnet @('build', $solution, '-c', $Configuration) }
    'test' { Invoke-Dotnet @('test', $solution, '-c', $Configuration) }
    'pack' { Invoke-Dotnet @('pack', (Join-Path $PSScriptRoot 'Evaluator.Core'), '-c', $Configuration, '-o', (Join-Path $PSScriptRoot 'artifacts')) }
    'bench' { Invoke-Dotnet (@('run', '-c', 'Release', '--project', (Join-Path $PSScriptRoot 'Evaluator.Benchmarks'), '--') + $Arguments) }
    'example' { Invoke-Dotnet (@('run', '-c', $Configuration, '--project', (Join-Path $PSScriptRoot 'samples/RandomSearch'), '--') + $Arguments) }
    'default' {
        Invoke-Dotnet @('build', $solution, '-c', $Configuration)
        Invoke-Dotnet @('test', $solution, '-c', $Configuration, '--no-build')
    }
}
