/** Vault paths are absolute, '/'-separated, without a trailing slash ("/" is the root). */
export function joinPath(dir: string, name: string): string {
  const parts = [...dir.split('/'), ...name.split('/')].filter((p) => p.length > 0);
  return '/' + parts.join('/');
}

export function parentOf(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  parts.pop();
  return '/' + parts.join('/');
}

export function baseName(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? '';
}

/** The breadcrumb trail of a path: [{name: 'Home', path: '/'}, {name: 'Photos', path: '/Photos'}, ...]. */
export function crumbs(path: string): { name: string; path: string }[] {
  const parts = path.split('/').filter((p) => p.length > 0);
  return [{ name: 'Home', path: '/' }, ...parts.map((name, i) => ({ name, path: '/' + parts.slice(0, i + 1).join('/') }))];
}

const imageExt = ['jpg', 'jpeg', 'png', 'gif', 'webp', 'avif', 'bmp', 'svg', 'ico'];
const textExt = ['txt', 'md', 'json', 'csv', 'log', 'xml', 'yaml', 'yml', 'toml', 'ini', 'cs', 'ts', 'tsx', 'js', 'py', 'sh', 'html', 'css', 'c', 'h', 'go', 'rs', 'java'];
const audioExt = ['mp3', 'ogg', 'oga', 'wav', 'flac', 'm4a', 'opus', 'aac'];
const videoExt = ['mp4', 'webm', 'ogv', 'mov', 'm4v'];

export type PreviewKind = 'image' | 'text' | 'pdf' | 'audio' | 'video' | null;

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function previewKind(name: string): PreviewKind {
  const ext = extensionOf(name);
  if (imageExt.includes(ext)) return 'image';
  if (textExt.includes(ext)) return 'text';
  if (ext === 'pdf') return 'pdf';
  if (audioExt.includes(ext)) return 'audio';
  if (videoExt.includes(ext)) return 'video';
  return null;
}
