import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { askLaunch, markStep } from './lib/shell';

markStep('ui-start');
// Asked before the first frame is drawn: the calls leave now and are answered while it is
// drawn. Asked when the app mounts, they left only after that frame, about 35 ms later.
const launch = askLaunch();

const target = document.getElementById('app');
if (target === null) throw new Error('index.html has no #app element');

export default mount(App, { target, props: { launch } });
