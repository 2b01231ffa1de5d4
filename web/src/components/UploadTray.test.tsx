import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { UploadQueue, type Transport } from '../api/upload';
import { UploadTray } from './UploadTray';

describe('UploadTray', () => {
  it('shows a bar per file and one for all, updated as bytes go out', async () => {
    const progress: ((sent: number) => void)[] = [];
    const finish: (() => void)[] = [];
    const transport: Transport = {
      send: ({ onProgress }) => new Promise((resolve) => {
        progress.push(onProgress!);
        finish.push(() => resolve({ status: 201, header: () => null, text: '{}' }));
      }),
    };
    const queue = new UploadQueue(transport, async () => 't', 2, async () => {});
    render(<UploadTray queue={queue} />);
    await act(async () => {
      queue.add('v', '/', [{ file: new Blob([new Uint8Array(1000)]), relativePath: 'a.bin' }, { file: new Blob([new Uint8Array(3000)]), relativePath: 'b.bin' }]);
      await Promise.resolve();
    });
    await act(async () => {
      progress[0](500);
      progress[1](1500);
    });
    const all = screen.getByRole('progressbar', { name: 'All uploads' }) as HTMLProgressElement;
    expect(all.value).toBe(2000);
    expect(all.max).toBe(4000);
    expect((screen.getByRole('progressbar', { name: 'Upload of /a.bin' }) as HTMLProgressElement).value).toBe(500);
    expect(screen.getByRole('heading', { name: /Uploading · 0 of 2 done/ })).toBeTruthy();
    await act(async () => {
      finish.forEach((f) => f());
      await queue.idle();
    });
    expect(screen.getByRole('heading', { name: /Uploads · 2 of 2 done/ })).toBeTruthy();
    expect((screen.getByRole('progressbar', { name: 'All uploads' }) as HTMLProgressElement).value).toBe(4000);
  });

  it('says where an upload picked up again after a reload, while it runs and once done', async () => {
    const queue = new UploadQueue({ send: () => new Promise(() => {}) }, async () => 't', 1, async () => {});
    queue.items.push({ id: 1, vault: 'v', path: '/film.webm', size: 200, sent: 84, status: 'uploading', resumable: true, resumedFrom: 84 });
    const { rerender } = render(<UploadTray queue={queue} />);
    expect(screen.getByText('resuming at 42%')).toBeTruthy();
    queue.items[0].status = 'done';
    rerender(<UploadTray queue={queue} />);
    expect(screen.getByText('done, resumed at 42%')).toBeTruthy();
  });
});
