import { describe, expect, it } from "vitest";
import { browsableUrl, describeGpus, metadataRanks, readCode, readEnvironment, shellJoin } from "./runMetadata";

const CAPTURED = {
  python: "3.11.7",
  platform: "Linux-6.1-x86_64",
  user: "ada",
  command: ["/usr/bin/python", "train.py", "--name", "my run"],
  cwd: "/home/ada/proj",
  program: "/home/ada/proj/train.py",
  args: ["--name", "my run"],
  git: {
    root: "/home/ada/proj",
    commit: "0e4a545931381c68d07900951a95b01f73b413f9",
    branch: "main",
    remote: "https://git.example.com/ml/proj.git",
    dirty: true,
    diff_cut: false,
    diff: "diff --git a/x b/x\n",
  },
  environment: {
    python: { version: "3.11.7", implementation: "CPython", executable: "/usr/bin/python" },
    platform: "Linux-6.1-x86_64-with-glibc2.36",
    env: { PATH: "/usr/bin", HF_TOKEN: "[redacted]", CUDA_VISIBLE_DEVICES: "0,1" },
    packages: { torch: "2.5.0", Numpy: "2.1.0", "aiohttp": "3.9" },
  },
  host: {
    hostname: "gpu-box",
    user: "ada",
    cpu_count: 32,
    cpu_count_physical: 16,
    memory_gib: 251.5,
    machine: "x86_64",
    gpus: [
      { index: 0, name: "NVIDIA A100", memory_mib: 40960 },
      { index: 1, name: "NVIDIA A100", memory_mib: 40960 },
    ],
    gpu_driver: "550.54",
    cuda_driver: "12.4",
  },
};

describe("readCode", () => {
  it("reads the git state and the command line", () => {
    const c = readCode(CAPTURED);
    expect(c).toMatchObject({
      commit: "0e4a545931381c68d07900951a95b01f73b413f9",
      branch: "main",
      remoteUrl: "https://git.example.com/ml/proj.git",
      dirty: true,
      diffCut: false,
      command: "/usr/bin/python train.py --name 'my run'",
      cwd: "/home/ada/proj",
    });
  });
  it("falls back to program and arguments, and tolerates junk", () => {
    expect(readCode({ program: "t.py", args: ["-x"] })?.command).toBe("t.py -x");
    expect(readCode({ git: { commit: 5, dirty: "yes" } })).toBeNull();
    expect(readCode(null)).toBeNull();
    expect(readCode({})).toBeNull();
  });
  it("links only http(s) remotes", () => {
    expect(browsableUrl("git@github.com:a/b.git")).toBeNull();
    expect(browsableUrl("ssh://git@host/a.git")).toBeNull();
    expect(browsableUrl("javascript:alert(1)")).toBeNull();
    expect(browsableUrl("http://host/a")).toBe("http://host/a");
  });
  it("quotes arguments for a shell", () => {
    expect(shellJoin(["echo", "it's", "a=b"])).toBe("echo 'it'\\''s' a=b");
  });
});

describe("readEnvironment", () => {
  it("reads python, host, GPUs, packages and variables", () => {
    const e = readEnvironment(CAPTURED);
    expect(e).toMatchObject({
      python: "3.11.7",
      platform: "Linux-6.1-x86_64-with-glibc2.36",
      hostname: "gpu-box",
      cpus: "32 (16 physical)",
      memory: "251.5 GiB",
      cudaDriver: "12.4",
    });
    expect(e?.packages?.map((p) => p[0])).toEqual(["aiohttp", "Numpy", "torch"]);
    expect(e?.env?.map((p) => p[0])).toEqual(["CUDA_VISIBLE_DEVICES", "HF_TOKEN", "PATH"]);
    expect(describeGpus(e?.gpus ?? [])).toEqual(["2 × NVIDIA A100 (40 GiB)"]);
  });
  it("uses the basic metadata of runs without environment capture", () => {
    const e = readEnvironment({ python: "3.12.1", platform: "macOS" }, "laptop");
    expect(e).toMatchObject({ python: "3.12.1", platform: "macOS", hostname: "laptop", packages: null, env: null });
    expect(readEnvironment({})).toBeNull();
  });
});

describe("metadataRanks", () => {
  it("lists the ranks a distributed run reported", () => {
    expect(metadataRanks({})).toEqual([]);
    expect(metadataRanks({ ranks: { "1": {}, "3": {} } })).toEqual([0, 1, 3]);
    expect(metadataRanks({ distributed: { rank: 0, world_size: 2 } })).toEqual([0, 1]);
  });
});
