import { fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Entry } from '../api/types';
import { sortEntries, type SortOrder } from '../lib/sort';
import { FileList } from './FileList';

const entry = (name: string, type: 'file' | 'dir', size: number, modified: string): Entry => ({
  name, path: `/${name}`, type, size, modified, versions: 1, version: 'v',
});

const entries = [
  entry('img10.png', 'file', 300, '2024-01-03T00:00:00Z'),
  entry('b-folder', 'dir', 0, '2024-01-01T00:00:00Z'),
  entry('img2.png', 'file', 5000, '2024-01-01T00:00:00Z'),
  entry('a.txt', 'file', 10, '2024-02-01T00:00:00Z'),
  entry('A-folder', 'dir', 0, '2024-03-01T00:00:00Z'),
];

describe('sortEntries', () => {
  it('puts folders first and compares names naturally', () => {
    expect(sortEntries(entries, { key: 'name', descending: false }).map((e) => e.name))
      .toEqual(['A-folder', 'b-folder', 'a.txt', 'img2.png', 'img10.png']);
  });

  it('keeps folders first when descending by size', () => {
    expect(sortEntries(entries, { key: 'size', descending: true }).map((e) => e.name))
      .toEqual(['A-folder', 'b-folder', 'img2.png', 'img10.png', 'a.txt']);
  });

  it('sorts by date, ties broken by name', () => {
    expect(sortEntries(entries, { key: 'modified', descending: false }).map((e) => e.name))
      .toEqual(['b-folder', 'A-folder', 'img2.png', 'img10.png', 'a.txt']);
  });
});

function Harness({ onOpen = vi.fn() }: { onOpen?: (e: Entry) => void }) {
  const [order, setOrder] = useState<SortOrder>({ key: 'name', descending: false });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  return (
    <FileList vault="v" entries={entries} order={order} onOrder={setOrder} view="list" selected={selected} onSelect={setSelected} onOpen={onOpen} />
  );
}

const label = (element: Element | null) => element?.lastElementChild?.textContent;
const names = () => screen.getAllByTestId('file-row').map((row) => label(within(row).getAllByRole('button')[0]));

describe('FileList', () => {
  it('sorts when a column header is clicked, and reverses on a second click', () => {
    render(<Harness />);
    expect(names()).toEqual(['A-folder', 'b-folder', 'a.txt', 'img2.png', 'img10.png']);
    fireEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(names()).toEqual(['A-folder', 'b-folder', 'img2.png', 'img10.png', 'a.txt']);
    expect(screen.getByRole('columnheader', { name: /Size/ }).getAttribute('aria-sort')).toBe('descending');
    fireEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(names()).toEqual(['A-folder', 'b-folder', 'a.txt', 'img10.png', 'img2.png']);
  });

  it('selects with checkboxes, a Shift range, and select-all', () => {
    render(<Harness />);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select a.txt' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select img10.png' }), { shiftKey: true });
    const checked = screen.getAllByRole('checkbox').filter((c) => (c as HTMLInputElement).checked).map((c) => c.getAttribute('aria-label'));
    expect(checked).toEqual(['Select a.txt', 'Select img2.png', 'Select img10.png']);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(screen.getAllByRole('checkbox').every((c) => (c as HTMLInputElement).checked)).toBe(true);
  });

  it('moves focus with the arrow keys and opens with Enter', () => {
    const onOpen = vi.fn();
    render(<Harness onOpen={onOpen} />);
    const first = screen.getByRole('button', { name: 'A-folder' });
    first.focus();
    fireEvent.keyDown(first, { key: 'ArrowDown' });
    expect(label(document.activeElement)).toBe('b-folder');
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(label(document.activeElement)).toBe('img10.png');
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ name: 'img10.png' }));
  });
});

describe('FileList Delete key', () => {
  it('trashes the selection when the focused item is in it, else the focused item alone', () => {
    const onDelete = vi.fn();
    render(<FileList vault="v" entries={entries} order={{ key: 'name', descending: false }} onOrder={() => {}} view="list"
      selected={new Set(['/a.txt', '/img2.png'])} onSelect={() => {}} onOpen={() => {}} onDelete={onDelete} />);
    fireEvent.keyDown(screen.getByRole('button', { name: 'a.txt' }), { key: 'Delete' });
    expect(onDelete).toHaveBeenLastCalledWith(['/a.txt', '/img2.png']);
    fireEvent.keyDown(screen.getByRole('button', { name: 'img10.png' }), { key: 'Delete' });
    expect(onDelete).toHaveBeenLastCalledWith(['/img10.png']);
  });
});
