// tuf-js (the TUF client npm and Sigstore use) reads a hallmark repository:
//   node fetch.js REPO_URL ROOT_JSON METADATA_DIR TARGET_DIR TARGET_NAME
const fs = require('fs');
const path = require('path');
const { Updater } = require('tuf-js');

async function main() {
  const [repo, rootFile, metadataDir, targetDir, name] = process.argv.slice(2);
  fs.mkdirSync(metadataDir, { recursive: true });
  fs.mkdirSync(targetDir, { recursive: true });
  fs.copyFileSync(rootFile, path.join(metadataDir, 'root.json'));
  const updater = new Updater({
    metadataBaseUrl: repo + '/metadata',
    targetBaseUrl: repo + '/targets',
    metadataDir,
    targetDir,
  });
  await updater.refresh();
  const info = await updater.getTargetInfo(name);
  if (!info) throw new Error('target not found: ' + name);
  const out = path.join(targetDir, path.basename(name));
  await updater.downloadTarget(info, out);
  process.stdout.write('downloaded ' + name + ' ' + fs.statSync(out).size + ' bytes\n');
}

main().catch((e) => { console.error('tuf-js: ' + e.message); process.exit(1); });
